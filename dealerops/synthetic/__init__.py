"""A realistic synthetic dealer network, written set-based with COPY: the demo data and the
national-scale benchmark dataset come from the same generator at different sizes."""
