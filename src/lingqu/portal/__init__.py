"""The enterprise portal (/my): what one enterprise sees about itself, in one page."""
