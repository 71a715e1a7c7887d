"""Simulation (WIP)."""
