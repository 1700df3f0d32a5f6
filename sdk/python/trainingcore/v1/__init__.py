"""Generated protocol stubs (scripts/generate-python.sh); do not edit."""
