"""Shared test tools: the AWS and Prefect proxies, the real ECS worker helper, API and playbook helpers."""
