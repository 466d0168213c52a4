"""scikit-image: lazy_loader.attach_stub subpackages (names read from __init__.pyi at run time)."""

import numpy as np
import skimage

image = np.zeros((8, 8))
image[2:6, 2:6] = 1.0
print(round(float(skimage.filters.gaussian(image, sigma=1).sum()), 4))
print(int(skimage.measure.label(image > 0.5).max()))
print(skimage.transform.resize(image, (4, 4)).shape)
print(skimage.color.rgb2gray(np.ones((2, 2, 3))).shape)
