#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Renders the SVG icon to the PNG sizes committed beside it, through librsvg and cairo (their shared
# libraries only, no Python bindings needed). Run once after changing podtap.svg:
#   python3 resources/icons/render_png.py resources/icons/podtap.svg resources/icons 48 64 128 256
import ctypes, sys
rsvg = ctypes.CDLL("librsvg-2.so.2"); cairo = ctypes.CDLL("libcairo.so.2")
rsvg.rsvg_handle_new_from_file.restype = ctypes.c_void_p
rsvg.rsvg_handle_new_from_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
cairo.cairo_image_surface_create.restype = ctypes.c_void_p
cairo.cairo_create.restype = ctypes.c_void_p
cairo.cairo_create.argtypes = [ctypes.c_void_p]
cairo.cairo_surface_write_to_png.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
class Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double), ("width", ctypes.c_double), ("height", ctypes.c_double)]
rsvg.rsvg_handle_render_document.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Rect), ctypes.c_void_p]
h = rsvg.rsvg_handle_new_from_file(sys.argv[1].encode(), None)
assert h
for size in map(int, sys.argv[3:]):
    s = cairo.cairo_image_surface_create(0, size, size)  # CAIRO_FORMAT_ARGB32
    cr = cairo.cairo_create(ctypes.c_void_p(s))
    ok = rsvg.rsvg_handle_render_document(h, cr, ctypes.byref(Rect(0, 0, size, size)), None)
    assert ok
    out = f"{sys.argv[2]}/podtap-{size}.png"
    assert cairo.cairo_surface_write_to_png(ctypes.c_void_p(s), out.encode()) == 0
    print(out)
