"""Install the ``sgmim`` package from ``projects/sgmim``.

The configs, tools and model index are shipped inside the package under
``sgmim/.mim`` (the OpenMMLab convention read by mmengine's ``sgmim::``
config inheritance). In the repository those are symbolic links to the top-level
folders; wheel and sdist builds copy their targets.
"""
import os.path as osp

from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def version():
    scope = {}
    with open(osp.join('projects', 'sgmim', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def requirements(path):
    """Requirement lines of ``path``, following ``-r`` includes."""
    lines = []
    with open(path) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line.startswith('-r '):
                lines += requirements(osp.join(osp.dirname(path), line[3:]))
            elif line:
                lines.append(line)
    return lines


setup(
    name='sgmim',
    version=version(),
    description='Structured-knowledge guided masked image modeling and '
    'related MIM methods as OpenMMLab components',
    long_description=readme(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    package_dir={'': 'projects'},
    packages=find_packages('projects'),
    include_package_data=False,
    package_data={'sgmim': ['.mim/model-index.yml', '.mim/configs/**/*.py',
                            '.mim/configs/**/*.yml', '.mim/configs/**/*.md',
                            '.mim/tools/**/*']},
    install_requires=requirements('requirements/runtime.txt'),
    extras_require={
        'mim': requirements('requirements/mminstall.txt'),
        'tests': requirements('requirements/tests.txt'),
        'optional': requirements('requirements/optional.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False)
