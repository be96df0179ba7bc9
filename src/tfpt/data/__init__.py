"""src/tfpt/data"""
