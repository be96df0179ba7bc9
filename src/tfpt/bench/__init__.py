"""src/tfpt/bench"""
