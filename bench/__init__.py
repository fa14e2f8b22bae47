"""`make bench`: what the generated stack costs, measured side by side with its alternatives."""
