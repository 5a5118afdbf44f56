"""Names of the files a scored run leaves in its artifacts folder (trusted storage)."""

# What the container wrote, copied out of /output.
PREDICTIONS_FILE = "predictions.jsonl"
# Per-unit statistics of a scored split: what paired comparisons between entries resample.
UNIT_TABLE_FILE = "units.npz"
