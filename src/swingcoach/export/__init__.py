"""Export: trained torch models to ONNX (fp32 and static INT8) for torch-free inference."""
