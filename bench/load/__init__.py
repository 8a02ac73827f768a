"""The parts of bench/rater_load.py that are not about ratings: an HTTP client of its own
(`client`) and the CPU the client, the server and the machine use (`usage`)."""
