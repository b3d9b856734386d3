#!/usr/bin/env python3
"""The PyTorch side of `npm run bench`, measured with the official HarMA code.

Usage: python3 pytorch_anchor.py OFFICIAL_CODE [--threads 2] [--parts step,encode,matmul]

OFFICIAL_CODE is a checkout of the official HarMA code (github seekerhuang/HarMA). The model is
the one the official training builds — its bundled open_clip's ViT-B/32 with QuickGELU (as
OpenAI's weights, the `geo` configs) and the HarMA adapters that open_clip/model.py attaches
(bottleneck 128, the BiShare adapter in the text tower) — with random weights, as the TypeScript
bench (apps/trainer/bench/measure-step.ts) has them, up-projections included (std 0.02). The
loss, the trainable set and the optimizer groups are the official ones: HarMABase's contrastive
and weighted triplet losses (models/harma.py, through a one-process gloo group for their
all-gather), HarMA.forward (models/model_retrieval.py), set_trainable (Retrieval.py) and
create_optimizer (optim.py), read from those files and run as they are. Only the optimizer's class
differs: torch's AdamW stands for transformers' (the same update).

Measured on the CPU with `--threads` threads: one training step (forward, loss, backward, AdamW
step) at batch 8 and 32 (77-token captions), the median of `--steps` after one warm-up step, with
the process's peak RSS after each batch; encode_image and encode_text rates at batch 32 (the
fastest of 3 after a warm-up); a plain 1600x768x3072 float32 matmul's GFLOP/s. Prints ONE JSON
line on stdout; progress goes to stderr, the official code's own prints nowhere.

Needs torch (Debian's python3-torch) and numpy; open_clip's other imports (ftfy, regex, tqdm,
torchvision) serve its tokenizer, downloads and image transforms only, so missing ones are
replaced by empty stand-ins and listed in the output's "stubbed".
"""
import argparse
import ast
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import types

# Imported by open_clip's tokenizer, pretrained-weight downloads and image transforms, never by the model.
OPTIONAL_MODULES = ('ftfy', 'regex', 'tqdm', 'torchvision')
# The official training config's values the model, loss and optimizer read (configs/Retrieval_rsitmd_geo.yaml).
CONFIG_FILE = 'configs/Retrieval_rsitmd_geo.yaml'
CONFIG_DEFAULTS = {
    'is_harma': True,
    'embed_dim': 512,
    'temp1': 0.07,
    'model': 'geo',
    'if_evaluation': False,
    'use_affil_loss': False,
    'use_triplet_loss': False,
    'optimizer': {'opt': 'adamW', 'lr': 4e-6, 'weight_decay': 0.04, 'lr_mult': 2},
}
CONTEXT = 77
MATMUL = (1600, 768, 3072)


def log(message):
    print(message, file=sys.stderr, flush=True)


class _PlaceholderType(type):
    """Class-level attribute reads of a stand-in (`InterpolationMode.BICUBIC`) give the stand-in."""

    def __getattr__(cls, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return cls


class _Placeholder(metaclass=_PlaceholderType):
    """Whatever a stubbed module exports: it can be called, subclassed and read from at import time."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return self


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return _Placeholder


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the named top-level modules (and their submodules) as empty stand-ins."""

    def __init__(self, roots):
        self.roots = set(roots)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split('.')[0] in self.roots:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []


def stub_missing_modules(names):
    """Stand-ins for the modules of `names` this Python cannot import; returns their names."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        sys.meta_path.insert(0, _StubFinder(missing))
    return missing


def run_definitions(code_dir, relative, names, namespace):
    """Runs the top-level definitions `names` of an official file, in file order, in `namespace`.

    Only those definitions run: the files' own imports pull in what the measured model never
    uses (timm, transformers, Swin, BERT), and the namespace provides what the definitions read.
    """
    file = os.path.join(code_dir, relative)
    with open(file, encoding='utf-8') as handle:
        tree = ast.parse(handle.read(), filename=file)
    wanted = set(names)
    found = set()
    body = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in wanted:
            found.add(node.name)
            body.append(node)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in wanted for t in node.targets):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
            body.append(node)
    if found != wanted:
        raise RuntimeError(f'{file} does not define {", ".join(sorted(wanted - found))}: is this the official HarMA code?')
    exec(compile(ast.Module(body=body, type_ignores=[]), file, 'exec'), namespace)


def read_config(code_dir):
    """The official config's values, read from its YAML file when PyYAML is installed."""
    config = dict(CONFIG_DEFAULTS)
    try:
        import yaml
    except ImportError:
        return config, 'built-in copy of ' + CONFIG_FILE
    with open(os.path.join(code_dir, CONFIG_FILE), encoding='utf-8') as handle:
        loaded = yaml.safe_load(handle)
    config.update({key: loaded[key] for key in CONFIG_DEFAULTS if key in loaded})
    # YAML 1.1 reads `4e-6` (no dot) as a string; optim.py compares these numbers.
    config['optimizer'] = {key: float(value) if key != 'opt' else value for key, value in config['optimizer'].items()}
    return config, CONFIG_FILE


def load_official(code_dir):
    """The official model (random weights), its training step's pieces and what was stubbed."""
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.autograd import Variable

    if not os.path.isfile(os.path.join(code_dir, 'open_clip', 'model.py')):
        raise RuntimeError(f'{code_dir} has no open_clip/model.py: not the official HarMA code')
    stubbed = stub_missing_modules(OPTIONAL_MODULES)
    sys.path.insert(0, code_dir)
    import open_clip

    namespace = {
        'torch': torch, 'nn': nn, 'F': F, 'dist': dist, 'Variable': Variable, 'open_clip': open_clip,
        # optim.py imports AdamW from transformers; torch's applies the same decoupled update.
        'AdamW': torch.optim.AdamW,
    }
    run_definitions(code_dir, 'models/harma.py', ['AllGather', 'allgather', 'HarMABase'], namespace)
    run_definitions(code_dir, 'models/model_retrieval.py', ['HarMA'], namespace)
    run_definitions(code_dir, 'Retrieval.py', ['set_trainable', 'count_trainable_parameters'], namespace)
    run_definitions(code_dir, 'optim.py', ['create_optimizer'], namespace)

    class RandomHarMA(namespace['HarMA']):
        def create_and_load_pretrained(self, config):
            # The official `geo` model loads OpenAI's ViT-B/32 (QuickGELU) and RS5M weights; the
            # bench compares compute, so the same architecture with random weights.
            self.model = open_clip.create_model('ViT-B-32', None, force_quick_gelu=True)

    config, config_source = read_config(code_dir)
    return RandomHarMA, config, config_source, namespace, stubbed


def init_one_process_group():
    """A one-process gloo group on the loopback interface: the official losses all-gather."""
    import torch.distributed as dist

    if dist.is_initialized():
        return
    os.environ.setdefault('GLOO_SOCKET_IFNAME', 'lo')
    store = tempfile.NamedTemporaryFile(prefix='harma-pytorch-anchor-', delete=False)
    store.close()
    os.unlink(store.name)
    dist.init_process_group('gloo', init_method=f'file://{store.name}', rank=0, world_size=1)


def random_batch(torch, size, generator):
    """Random pixels and 77-token captions of 20 BPE ids each, zero padded (measure-step.ts's randomBatch)."""
    images = torch.randn(size, 3, 224, 224, generator=generator)
    text = torch.zeros(size, CONTEXT, dtype=torch.long)
    text[:, 0] = 49406
    text[:, 1:20] = 300 + torch.randint(0, 40000, (size, 19), generator=generator)
    text[:, 20] = 49407
    return images, text, torch.arange(size)


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def blas_library():
    """The BLAS library this process loaded: Debian's alternatives pick it, and reference BLAS is ~40x slower than OpenBLAS."""
    try:
        with open('/proc/self/maps', encoding='utf-8') as handle:
            paths = {line.split()[-1] for line in handle if 'libblas' in line or 'libmkl' in line}
    except OSError:
        return None
    return ', '.join(sorted({os.path.realpath(path) for path in paths if path.startswith('/')})) or None


def matmul_gflops(torch, repeats=10):
    m, k, n = MATMUL
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    torch.matmul(a, b)
    best = float('inf')
    for _ in range(repeats):
        started = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * m * k * n / best / 1e9


def measure_steps(torch, model, optimizer, batch, steps, generator):
    """Seconds of `steps` training steps after one warm-up, as Retrieval.py's train() runs them."""
    images, text, idx = random_batch(torch, batch, generator)

    def step():
        loss_contr, loss_triplet, _ = model(images, text, idx=idx, label=None)
        loss = loss_contr + loss_triplet
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss)

    started = time.perf_counter()
    loss = step()
    warmup = time.perf_counter() - started
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        loss = step()
        seconds.append(time.perf_counter() - started)
    return {
        'batch': batch,
        'seconds': [round(s, 4) for s in seconds],
        'medianSeconds': round(statistics.median(seconds), 4),
        'warmupSeconds': round(warmup, 4),
        'peakRssBytes': peak_rss_bytes(),
        'loss': loss,
    }


def encode_rate(torch, encode, inputs, repeats=3):
    """Items a second of the fastest of `repeats` calls after a warm-up call."""
    with torch.no_grad():
        encode(inputs)
        best = float('inf')
        for _ in range(repeats):
            started = time.perf_counter()
            encode(inputs)
            best = min(best, time.perf_counter() - started)
    return inputs.shape[0] / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('official_code', help='folder of the official HarMA code (github seekerhuang/HarMA)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--parts', default='step,encode,matmul', help='comma-separated: step, encode, matmul')
    parser.add_argument('--batches', default='8,32', help='training-step batch sizes')
    parser.add_argument('--steps', type=int, default=3, help='timed steps per batch after one warm-up step')
    parser.add_argument('--encode-batch', type=int, default=32)
    args = parser.parse_args()
    parts = {part.strip() for part in args.parts.split(',') if part.strip()}
    unknown = parts - {'step', 'encode', 'matmul'}
    if unknown:
        parser.error(f'unknown parts: {", ".join(sorted(unknown))}')

    import torch

    torch.set_num_threads(args.threads)
    code_dir = os.path.abspath(args.official_code)
    out = {
        'torch': torch.__version__,
        'python': platform.python_version(),
        'threads': torch.get_num_threads(),
        'officialCode': code_dir,
    }
    generator = torch.Generator().manual_seed(3407)
    torch.manual_seed(3407)
    # The official code prints as it goes (set_trainable prints every module's name): stdout keeps the one line.
    with open(os.devnull, 'w', encoding='utf-8') as devnull, contextlib.redirect_stdout(devnull):
        if 'matmul' in parts:
            out['matmulGflops'] = round(matmul_gflops(torch), 2)
            out['blas'] = blas_library()
            log(f'matmul {MATMUL}: {out["matmulGflops"]} GFLOP/s on {out["threads"]} threads ({out["blas"]})')
        if parts & {'step', 'encode'}:
            started = time.perf_counter()
            RandomHarMA, config, config_source, official, stubbed = load_official(code_dir)
            init_one_process_group()
            model = RandomHarMA(config)
            # Fresh adapters have zero up-projections (the identity); the TypeScript bench draws them (std 0.02).
            with torch.no_grad():
                for name, parameter in model.named_parameters():
                    if name.endswith(('img_proj_up.weight', 'l2.weight')):
                        parameter.normal_(0, 0.02, generator=generator)
            official['set_trainable'](model)
            out.update({
                'model': 'open_clip ViT-B-32 (QuickGELU) + HarMA adapters, random weights',
                'config': config_source,
                'stubbed': stubbed,
                'trainableParameters': official['count_trainable_parameters'](model),
                'buildSeconds': round(time.perf_counter() - started, 2),
            })
            log(f'model built in {out["buildSeconds"]} s; {out["trainableParameters"]} trainable parameters; stand-ins for: {", ".join(stubbed) or "none"}')
        if 'step' in parts:
            model.train()
            optimizer = official['create_optimizer'](types.SimpleNamespace(**config['optimizer']), model)
            out['steps'] = []
            for batch in (int(b) for b in args.batches.split(',')):
                figures = measure_steps(torch, model, optimizer, batch, args.steps, generator)
                out['steps'].append(figures)
                log(f'batch {batch}: step {figures["medianSeconds"]} s (median of {figures["seconds"]}), peak RSS {figures["peakRssBytes"] / 2**30:.2f} GiB')
        if 'encode' in parts:
            model.eval()
            images, text, _ = random_batch(torch, args.encode_batch, generator)
            out['imagesPerSecond'] = round(encode_rate(torch, model.get_vis_emb, images), 3)
            out['captionsPerSecond'] = round(encode_rate(torch, model.get_txt_emb, text), 3)
            log(f'encode_image {out["imagesPerSecond"]} img/s, encode_text {out["captionsPerSecond"]} captions/s (batch {args.encode_batch})')
    out['peakRssBytes'] = peak_rss_bytes()
    out['loadAverage'] = [round(load, 2) for load in os.getloadavg()]
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
