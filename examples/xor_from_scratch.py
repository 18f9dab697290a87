"""XOR from scratch: raw tensors, a hand-written forward pass and manual gradient descent.

Run:  python examples/xor_from_scratch.py [--steps 2000]

No layers, no optimizer: four weight tensors, the loss, ``loss.backward()`` for the
gradients, and the update W <- W - lr * dJ/dW written out.
"""

import argparse

import numpy as np

import backprop as bp


def main(steps: int = 2000, lr: float = 0.5) -> None:
    # The four XOR cases and their labels: 1 when exactly one input is 1.
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)

    # A 2-4-1 network: weights drawn from a seeded generator (never the global np.random).
    rng = np.random.default_rng(1)
    W1 = bp.tensor(rng.normal(0, 1, size=(2, 4)), requires_grad=True)
    b1 = bp.tensor(np.zeros(4), requires_grad=True)
    W2 = bp.tensor(rng.normal(0, 1, size=(4, 1)), requires_grad=True)
    b2 = bp.tensor(np.zeros(1), requires_grad=True)
    params = [W1, b1, W2, b2]

    for step in range(steps + 1):
        # Forward pass (a batch in the rows: z = x W + b).
        hidden = (bp.tensor(X) @ W1 + b1).tanh()
        output = (hidden @ W2 + b2).sigmoid()
        loss = ((output - y) ** 2).mean()

        # Backward pass: fills .grad of every tensor that requires it.
        for p in params:
            p.grad = None
        loss.backward()

        # Gradient descent, by hand.
        for p in params:
            p.data -= lr * p.grad

        if step % (steps // 4) == 0:
            print(f"step {step:5d}  loss {loss.item():.6f}")

    predictions = output.data.round().astype(int).ravel()
    print("inputs     ", X.astype(int).tolist())
    print("predicted  ", predictions.tolist())
    print("expected   ", y.astype(int).ravel().tolist())
    print("all correct:", bool((predictions == y.ravel()).all()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    main(parser.parse_args().steps)
