// ArgoEngine
