"""The Docker and Kubernetes section of the portal."""


def includeme(config):
    config.add_portal_section(
        "docker-kubernetes",
        title="Docker and Kubernetes",
        content="portal_docker_kubernetes:content",
        summary="Ship a Python web app: lean images, Compose for local work, Kubernetes probes, autoscaling and safe rollouts.",
        order=100,
    )
