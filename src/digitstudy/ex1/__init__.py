"""Exercise 1: deep MLPs on MNIST - depth x activation, learning curves and gradient flow."""
