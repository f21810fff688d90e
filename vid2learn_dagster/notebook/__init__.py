"""The teaching notebook: what it says about each topic, and how it is rendered."""
