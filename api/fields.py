"""Serializer fields that refuse what JSON allows but the database and the statistics do
not: infinite or overflowing numbers, booleans passed as numbers."""

import math

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    default_error_messages = {"not_finite": "Must be a finite number."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = super().to_internal_value(data)
        except OverflowError:
            self.fail("not_finite")
        if not math.isfinite(value):
            self.fail("not_finite")
        return value
