"""Engine version: bump when extraction rules change results (stored with every result)."""

ENGINE_VERSION = "rules-2"
