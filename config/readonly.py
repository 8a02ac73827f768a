"""Admin pages that only show: records nobody edits by hand (ratings, analysis runs)."""


class ReadOnlyAdmin:
    """A ModelAdmin mixin that allows viewing and nothing else."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
