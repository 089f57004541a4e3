"""Shared contracts and settings that every layer (api, workflows, agents, tools) may import."""
