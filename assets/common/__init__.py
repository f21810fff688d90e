"""What every stage asset shares: partitions, retries, code versions, batched model steps."""
