"""Documents for meetings of the mayors' conference: agenda (Tagesordnung) and decision papers (Beschlussvorlagen)."""
