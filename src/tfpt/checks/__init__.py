"""src/tfpt/checks"""
