"""src/tfpt"""
