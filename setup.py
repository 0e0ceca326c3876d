from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open('h3r_mmpose/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='h3r_mmpose',
    version=read_version(),
    description='Heatmap Regression via Randomized Rounding (H3R) for MMPose 1.x',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['h3r_mmpose', 'h3r_mmpose.*']),
    python_requires='>=3.8',
    # The MMPose stack is not listed here on purpose: mmcv needs compiling and mmpose's
    # metadata requires chumpy, which does not build. See requirements.txt and
    # tools/setup_env.sh.
    install_requires=['numpy', 'torch'],
    # `pip install -e .[deploy]`: ONNX export (h3r_mmpose.deploy, tools/deploy/); the
    # versions CI proves are pinned in tools/constraints.txt.
    extras_require=dict(deploy=['onnx', 'onnxruntime']),
    license='Apache-2.0',
    zip_safe=False,
)
