"""The land registry: parcels and titles; it contributes `Citizen.parcels` to the identity bureau's Citizen."""
