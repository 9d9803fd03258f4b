"""Writes JPEG fixtures for the image-decoding tests: baseline and progressive JPEGs of the same
small picture, in colour (4:2:0 chroma, OpenCV's default) and in grey, each with the pixels
libjpeg (through OpenCV) decodes from it.

Run with Debian's python3-opencv (OpenCV 4.6, libjpeg-turbo):
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/refs/make_jpeg_refs.py \\
        > packages/pipeline/test/fixtures/jpeg-decoding.json
"""
import base64
import json

import cv2
import numpy as np

W, H = 24, 16
y, x = np.mgrid[0:H, 0:W]
# Smooth ramps plus one sharp square: both the DC and the AC paths of the decoder matter.
rgb = np.stack([x * 10, y * 15, (x + y) * 5], axis=-1).astype(np.uint8)
rgb[4:10, 6:12] = (250, 30, 30)
bgr = np.ascontiguousarray(rgb[:, :, ::-1])

out = {"opencv_version": cv2.__version__, "width": W, "height": H, "cases": []}
grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
for colour in ("colour", "grey"):
    for mode, flags in [
        ("baseline", [cv2.IMWRITE_JPEG_QUALITY, 90]),
        ("progressive", [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
    ]:
        ok, encoded = cv2.imencode(".jpg", bgr if colour == "colour" else grey, flags)
        assert ok
        decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1]
        out["cases"].append(
            {
                "name": f"{mode} {colour}",
                "colour": colour == "colour",
                "jpeg_base64": base64.b64encode(encoded.tobytes()).decode(),
                # libjpeg's decoding, RGB, row by row.
                "rgb": decoded.reshape(-1).tolist(),
            }
        )
print(json.dumps(out))
