"""Tests of steward_client: run from the repository root with

    python3 -m unittest discover -s clients/python/tests -t clients/python
"""
