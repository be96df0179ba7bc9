"""src/tfpt/cli"""
