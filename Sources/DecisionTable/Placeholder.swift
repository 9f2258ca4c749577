// DecisionTable
