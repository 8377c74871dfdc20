"""The signed record: what a packet proves, assembled from a finished signing session."""
