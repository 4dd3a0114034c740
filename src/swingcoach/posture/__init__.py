"""Held poses (yoga) and movements (exercises) from COCO-17 keypoints: the layer beside `swing/`.

keypoints -> `features` (normalised body) -> `classifier` (embedding + class bank) -> `held` / `movement`
(accuracy, guidance, hold timer; exercise, repetitions, form) -> `report`.
"""
