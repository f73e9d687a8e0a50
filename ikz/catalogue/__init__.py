"""Catalogues: YAML files of bodies, mandates and meetings, validated and imported as a whole."""
