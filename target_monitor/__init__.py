"""Employment-target monitor library."""
