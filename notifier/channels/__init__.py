"""Delivery channels: each sends one rendered Delivery row (or one part of it)."""
