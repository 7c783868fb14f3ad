"""Every ``miniground bench ...`` command: speed measurements, side by side in one run."""
