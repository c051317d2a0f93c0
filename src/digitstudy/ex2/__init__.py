"""Exercise 2: a small CNN on SVHN (or its stand-in) with early stopping and feature maps."""
