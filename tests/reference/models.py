"""The PyTorch reference of latentlab's models: one definition of the VAE, the GAN (its generator
variants: ReLU or LeakyReLU, with or without BatchNorm) and the classifier, with latentlab's
architecture and tensor names (the state_dict keys are the safetensors names latentlab writes).

Used by the fixture generators in this folder (make_reference_fixtures.py) and by the PyTorch
benchmarks (bench/reference/{vae,gan}.py), which put this folder on sys.path:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), <path to tests/reference>))
    import models
Run it to print each model's tensor names and shapes:  /usr/bin/python3 tests/reference/models.py

Layers (core/src/nn/mlp.cpp): Linear → [BatchNorm] → activation. A Linear is y = x Wᵀ + b with
W [out, in] ("<name>.weight") and b [out] ("<name>.bias"); its BatchNorm is "<name>.bn.*".
  Vae         encoder.fc1..fcN (ReLU), encoder.mu, encoder.logvar (logvar clamped to ±30),
              z = mu + exp(logvar / 2) · eps, decoder.fc1..fcN (ReLU, widths reversed), decoder.out
              (logits); recon = BCE-with-logits summed, kl = -1/2 Σ(1 + logvar - mu² - e^logvar),
              loss = recon + beta · kl (sums over the batch).
  Generator   generator.fc1..fcN (ReLU, or LeakyReLU(slope) when leaky; BatchNorm(eps) after every
              hidden Linear but the first when batchnorm), generator.out (tanh).
  Discriminator  discriminator.fc1..fcN (LeakyReLU(slope)), discriminator.out (1 logit).
  Classifier  classifier.fc1..fcN (ReLU), classifier.fc{N+1} (logits).

Conditional models (classes > 0, latentlab's LabelInput): the encoder reads [x | onehot(y)], the
decoder [z | onehot(y)]; the generator [z | onehot(y)], the discriminator [x | onehot(y)]
(with_labels below).

Every forward takes an optional list `pre`, to which it appends the input of each ReLU /
LeakyReLU (the fixture generator keeps those away from 0).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LOGVAR_CLAMP = 30.0  # core/src/models/vae.cpp clamps logvar to ±30 before exp


class Linear(nn.Linear):
    """y = x Wᵀ + b, optionally followed by BatchNorm1d ("bn", eps and momentum as latentlab's)."""

    def __init__(self, fan_in, fan_out, bn_eps=None, bn_momentum=0.1):
        super().__init__(fan_in, fan_out)
        if bn_eps is not None:
            self.bn = nn.BatchNorm1d(fan_out, eps=bn_eps, momentum=bn_momentum)

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        return self.bn(y) if hasattr(self, 'bn') else y


def activate(a, kind, slope):
    if kind == 'relu':
        return torch.relu(a)
    if kind == 'leaky':
        return F.leaky_relu(a, slope)
    if kind == 'tanh':
        return torch.tanh(a)
    assert kind == 'identity', kind
    return a


class Mlp(nn.Module):
    """latentlab's Mlp: layers [(name, out, activation, slope, bn_eps or None)], applied in order."""

    def __init__(self, fan_in, layers):
        super().__init__()
        self.spec = []
        for name, fan_out, kind, slope, bn_eps in layers:
            self.add_module(name, Linear(fan_in, fan_out, bn_eps))
            self.spec.append((name, kind, slope))
            fan_in = fan_out

    def forward(self, x, pre=None):
        for name, kind, slope in self.spec:
            a = getattr(self, name)(x)
            if pre is not None and kind in ('relu', 'leaky'):
                pre.append(a)
            x = activate(a, kind, slope)
        return x


def hidden_layers(widths, kind, slope=0.0):
    return [('fc%d' % (i + 1), w, kind, slope, None) for i, w in enumerate(widths)]


def with_labels(x, labels, classes):
    """[x | onehot(labels)] (x unchanged when classes is 0)."""
    if not classes:
        return x
    return torch.cat([x, F.one_hot(labels, classes).to(x.dtype)], dim=1)


class Vae(nn.Module):
    def __init__(self, input, hidden, latent, beta=1.0, classes=0):
        super().__init__()
        self.latent, self.beta, self.classes = latent, beta, classes
        self.encoder = Mlp(input + classes, hidden_layers(hidden, 'relu'))
        self.encoder.add_module('mu', Linear(hidden[-1], latent))
        self.encoder.add_module('logvar', Linear(hidden[-1], latent))
        self.decoder = Mlp(latent + classes,
                           hidden_layers(hidden[::-1], 'relu') + [('out', input, 'identity', 0.0, None)])

    def forward(self, x, eps, pre=None, labels=None):
        """mu, logvar, z, logits and the losses recon, kl, loss (sums over the batch)."""
        h = self.encoder(with_labels(x, labels, self.classes), pre)
        mu = self.encoder.mu(h)
        logvar = self.encoder.logvar(h).clamp(-LOGVAR_CLAMP, LOGVAR_CLAMP)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.decoder(with_labels(z, labels, self.classes), pre)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return {'mu': mu, 'logvar': logvar, 'z': z, 'logits': logits, 'recon': recon, 'kl': kl,
                'loss': recon + self.beta * kl}


class Generator(Mlp):
    """The state_dict keys lack the "generator." prefix; Gan below (or named('generator', …)) adds it."""

    def __init__(self, latent, hidden, image, leaky=False, slope=0.2, batchnorm=False, bn_eps=1e-5):
        kind = 'leaky' if leaky else 'relu'
        layers = [('fc%d' % (i + 1), w, kind, slope, bn_eps if batchnorm and i > 0 else None)
                  for i, w in enumerate(hidden)]
        super().__init__(latent, layers + [('out', image, 'tanh', 0.0, None)])


class Discriminator(Mlp):
    def __init__(self, image, hidden, slope=0.2):
        super().__init__(image, hidden_layers(hidden, 'leaky', slope) + [('out', 1, 'identity', 0.0, None)])


class Gan(nn.Module):
    """GanConfig as a dict: image, latent, generator_hidden, discriminator_hidden, leaky_slope and
    optionally generator_leaky, generator_batchnorm, batchnorm_eps, classes."""

    def __init__(self, cfg):
        super().__init__()
        self.classes = cfg.get('classes', 0)
        self.generator = Generator(cfg['latent'] + self.classes, cfg['generator_hidden'], cfg['image'],
                                   leaky=cfg.get('generator_leaky', False), slope=cfg['leaky_slope'],
                                   batchnorm=cfg.get('generator_batchnorm', False),
                                   bn_eps=cfg.get('batchnorm_eps', 1e-5))
        self.discriminator = Discriminator(cfg['image'] + self.classes, cfg['discriminator_hidden'], cfg['leaky_slope'])


class Classifier(nn.Module):
    def __init__(self, input, hidden, classes):
        super().__init__()
        head = ('fc%d' % (len(hidden) + 1), classes, 'identity', 0.0, None)
        self.classifier = Mlp(input, hidden_layers(hidden, 'relu') + [head])

    def forward(self, x, pre=None):
        return self.classifier(x, pre)  # logits


def named(prefix, module):
    """(latentlab name, parameter) pairs of a module, in registration order (= latentlab's order)."""
    return [(prefix + '.' + n if prefix else n, p) for n, p in module.named_parameters()]


def load(module, named_values):
    """Copies [(name, tensor)] into a module's parameters (names relative to the module)."""
    params = dict(module.named_parameters())
    assert set(params) == {n for n, _ in named_values}, (sorted(params), [n for n, _ in named_values])
    with torch.no_grad():
        for n, v in named_values:
            assert params[n].shape == v.shape, (n, params[n].shape, v.shape)
            params[n].copy_(v)
    return module


def main():
    for title, model in [('VAE (default)', Vae(784, [400], 20)),
                         ('GAN (stable generator)', Gan({'image': 784, 'latent': 100,
                                                         'generator_hidden': [128, 256, 512, 1024],
                                                         'discriminator_hidden': [1024, 512, 256],
                                                         'leaky_slope': 0.2, 'generator_leaky': True,
                                                         'generator_batchnorm': True})),
                         ('classifier (default)', Classifier(784, [512, 256], 10)),
                         ('DCGAN (default)', Dcgan({'image': 784, 'latent': 100, 'generator_channels': [128, 64],
                                                    'discriminator_channels': [64, 128], 'leaky_slope': 0.2})),
                         ('conv VAE (default)', ConvVae(784, [32, 64], 256, 20))]:
        print(title)
        for n, t in model.state_dict().items():
            print('  %-40s %s' % (n, list(t.shape)))


# ---------------------------------------------------------------- conv kinds (issue 13)
# Names as core/src/models/{dcgan,conv_vae}.cpp declare them; every conv k4 s2 p1 (side ×2 / ÷2).
#   Dcgan     generator.fc (Linear latent → g1·b·b), then per stage i: generator.bn<i> (BatchNorm2d)
#             → ReLU → generator.deconv<i> (ConvTranspose2d; the last one to 1 channel, tanh);
#             discriminator.conv1 → LeakyReLU, then discriminator.conv<i> → discriminator.bn<i> →
#             LeakyReLU, discriminator.out (Linear → 1 logit). A conv a BatchNorm follows has no
#             bias here (bias=False, as PyTorch's example); latentlab's has one, held at 0
#             (missing_biases lists them).
#   ConvVae   encoder.conv<i> (ReLU), encoder.fc (ReLU), encoder.mu, encoder.logvar;
#             decoder.fc1 (ReLU), decoder.fc2 (ReLU), decoder.deconv<i> (ReLU, the last: logits).
# Conditional (classes > 0): the DCGAN's generator.fc reads [z | onehot(y)] and its discriminator
# is a projection discriminator, logit = out(h) + <discriminator.embed[y], h> (h the flattened
# features out reads; embed an nn.Embedding(classes, features)), or with discriminator_conditioning
# 'channels' reads the label as input planes: conv1 is Conv(1 + classes → d1) on [image | plane y
# of ones, the other planes zero], no embed; the conv VAE's encoder.fc reads
# [flattened conv features | onehot(y)] and decoder.fc1 [z | onehot(y)].

K, S, P = 4, 2, 1


class DcganGenerator(nn.Module):
    def __init__(self, latent, channels, side, bn_eps=1e-5, classes=0):
        super().__init__()
        self.channels, self.base, self.classes = channels, side >> len(channels), classes
        self.fc = nn.Linear(latent + classes, channels[0] * self.base * self.base)
        for i, c in enumerate(channels):
            self.add_module('bn%d' % (i + 1), nn.BatchNorm2d(c, eps=bn_eps))
            last = i + 1 == len(channels)
            out = 1 if last else channels[i + 1]
            self.add_module('deconv%d' % (i + 1), nn.ConvTranspose2d(c, out, K, S, P, bias=last))

    def forward(self, z, pre=None, labels=None):
        h = self.fc(with_labels(z, labels, self.classes)).view(z.shape[0], self.channels[0], self.base, self.base)
        for i in range(len(self.channels)):
            a = getattr(self, 'bn%d' % (i + 1))(h)
            if pre is not None:
                pre.append(a)
            h = getattr(self, 'deconv%d' % (i + 1))(torch.relu(a))
        return torch.tanh(h).flatten(1)


class DcganDiscriminator(nn.Module):
    def __init__(self, channels, side, slope=0.2, bn_eps=1e-5, classes=0, conditioning='projection'):
        super().__init__()
        self.channels, self.side, self.slope = channels, side, slope
        self.label_planes = classes if classes and conditioning == 'channels' else 0
        for i, c in enumerate(channels):
            inputs = channels[i - 1] if i else 1 + self.label_planes
            self.add_module('conv%d' % (i + 1), nn.Conv2d(inputs, c, K, S, P, bias=not i))
            if i:
                self.add_module('bn%d' % (i + 1), nn.BatchNorm2d(c, eps=bn_eps))
        base = side >> len(channels)
        self.out = nn.Linear(channels[-1] * base * base, 1)
        if classes and not self.label_planes:
            self.embed = nn.Embedding(classes, channels[-1] * base * base)

    def forward(self, x, pre=None, labels=None):
        h = x.view(x.shape[0], 1, self.side, self.side)
        if self.label_planes:  # [image | onehot(y) as constant planes]
            code = F.one_hot(labels, self.label_planes).to(h.dtype)
            h = torch.cat([h, code[:, :, None, None].expand(-1, -1, self.side, self.side)], 1)
        for i in range(len(self.channels)):
            a = getattr(self, 'conv%d' % (i + 1))(h)
            if i:
                a = getattr(self, 'bn%d' % (i + 1))(a)
            if pre is not None:
                pre.append(a)
            h = F.leaky_relu(a, self.slope)
        h = h.flatten(1)
        if hasattr(self, 'embed'):  # projection: + <E[y], h>
            return self.out(h) + (self.embed(labels) * h).sum(1, keepdim=True)
        return self.out(h)


def missing_biases(module, prefix):
    """latentlab names of the biases latentlab holds at 0 where this module has none (bias=False)."""
    return [prefix + '.' + n + '.bias' for n, m in module.named_modules()
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) and m.bias is None]


class Dcgan(nn.Module):
    """DcganConfig as a dict: image, latent, generator_channels, discriminator_channels, leaky_slope
    and optionally batchnorm_eps, classes, discriminator_conditioning ('projection' or 'channels')."""

    def __init__(self, cfg):
        super().__init__()
        side = int(round(cfg['image'] ** 0.5))
        eps = cfg.get('batchnorm_eps', 1e-5)
        classes = cfg.get('classes', 0)
        self.generator = DcganGenerator(cfg['latent'], cfg['generator_channels'], side, eps, classes)
        self.discriminator = DcganDiscriminator(cfg['discriminator_channels'], side, cfg['leaky_slope'], eps, classes,
                                                cfg.get('discriminator_conditioning', 'projection'))


class ConvVae(nn.Module):
    def __init__(self, input, channels, fc, latent, beta=1.0, classes=0):
        super().__init__()
        self.side = int(round(input ** 0.5))
        self.channels, self.latent, self.beta, self.classes = channels, latent, beta, classes
        self.base = self.side >> len(channels)
        code = channels[-1] * self.base * self.base
        self.encoder = nn.Module()
        for i, c in enumerate(channels):
            self.encoder.add_module('conv%d' % (i + 1), nn.Conv2d(channels[i - 1] if i else 1, c, K, S, P))
        self.encoder.add_module('fc', nn.Linear(code + classes, fc))
        self.encoder.add_module('mu', nn.Linear(fc, latent))
        self.encoder.add_module('logvar', nn.Linear(fc, latent))
        self.decoder = nn.Module()
        self.decoder.add_module('fc1', nn.Linear(latent + classes, fc))
        self.decoder.add_module('fc2', nn.Linear(fc, code))
        rev = channels[::-1]
        for i, c in enumerate(rev):
            out = rev[i + 1] if i + 1 < len(rev) else 1
            self.decoder.add_module('deconv%d' % (i + 1), nn.ConvTranspose2d(c, out, K, S, P))

    def forward(self, x, eps, pre=None, labels=None):
        """mu, logvar, z, logits and the losses recon, kl, loss (sums over the batch), as Vae."""
        def relu(a):
            if pre is not None:
                pre.append(a)
            return torch.relu(a)
        e, d, n = self.encoder, self.decoder, len(self.channels)
        h = x.view(x.shape[0], 1, self.side, self.side)
        for i in range(n):
            h = relu(getattr(e, 'conv%d' % (i + 1))(h))
        h = relu(e.fc(with_labels(h.flatten(1), labels, self.classes)))
        mu = e.mu(h)
        logvar = e.logvar(h).clamp(-LOGVAR_CLAMP, LOGVAR_CLAMP)
        z = mu + torch.exp(0.5 * logvar) * eps
        g = relu(d.fc2(relu(d.fc1(with_labels(z, labels, self.classes))))).view(x.shape[0], self.channels[-1], self.base, self.base)
        for i in range(n):
            g = getattr(d, 'deconv%d' % (i + 1))(g)
            if i + 1 < n:
                g = relu(g)
        logits = g.flatten(1)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return {'mu': mu, 'logvar': logvar, 'z': z, 'logits': logits, 'recon': recon, 'kl': kl,
                'loss': recon + self.beta * kl}


if __name__ == '__main__':
    main()
