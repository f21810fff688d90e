"""Quality: data checks on the stage tables, and error rates against ground truth."""
