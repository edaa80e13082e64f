"""Files and tables: model files (format, safe loading, the 0.1 upgrade), CSV and
Parquet tables with their checks, the one time-stamp parser, lines of a followed
file, and the NAB files. Imports the model; never the command line.
"""
