// ArgusAnalysis
