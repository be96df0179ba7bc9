"""src/tfpt/training"""
