"""The land registry: parcels and titles; it adds `Citizen.parcels` to the identity bureau's Citizen."""
