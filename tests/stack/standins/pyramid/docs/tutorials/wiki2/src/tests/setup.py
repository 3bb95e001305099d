from setuptools import find_packages, setup

setup(name="tutorial", version="0.0", packages=find_packages(exclude=["tests"]))
