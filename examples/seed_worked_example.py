"""The seeds' worked example: one training iteration of a 2-2-1 sigmoid network, by hand.

Run:  python examples/seed_worked_example.py

Every number printed here is computed by backprop's autograd engine; compare with the
corrected table in the seeds' README (the seed's printed z[2] = 0.64 is a slip: 0.7409).
"""

import numpy as np

import backprop as bp


def main() -> None:
    f64 = np.float64
    w1 = bp.tensor([[0.2, 0.3], [0.1, 0.4]], requires_grad=True, dtype=f64)
    b1 = bp.tensor([0.1, 0.2], requires_grad=True, dtype=f64)
    w2 = bp.tensor([[0.5, 0.6]], requires_grad=True, dtype=f64)
    b2 = bp.tensor([0.1], requires_grad=True, dtype=f64)
    x = bp.tensor([0.5, 0.3], dtype=f64)
    y = 0.7

    # Forward pass: z[l] = W[l] a[l-1] + b[l],  a[l] = sigmoid(z[l])
    z1 = (w1 @ x + b1).retain_grad()
    a1 = z1.sigmoid()
    z2 = (w2 @ a1 + b2).retain_grad()
    a2 = z2.sigmoid()
    loss = 0.5 * ((y - a2) ** 2).sum()  # the seeds' loss: ½ (y - a)²

    # Backward pass: the engine applies the chain rule node by node.
    loss.backward()

    print("forward")
    print(f"  z[1] = {z1.data}    a[1] = {a1.data}")
    print(f"  z[2] = {z2.data}    a[2] = {a2.data}")
    print(f"  loss = {loss.item():.8f}")
    print("backward")
    print(f"  delta[2] = dL/dz[2] = {z2.grad}")
    print(f"  delta[1] = dL/dz[1] = {z1.grad}")
    print(f"  dL/dW[2] = {w2.grad}    dL/db[2] = {b2.grad}")
    print(f"  dL/dW[1] = {np.round(w1.grad, 8).tolist()}    dL/db[1] = {b1.grad}")
    lr = 0.1
    print(f"update (learning rate {lr})")
    for name, p in [("W[1]", w1), ("b[1]", b1), ("W[2]", w2), ("b[2]", b2)]:
        p.data -= lr * p.grad
        print(f"  {name} = {np.round(p.data, 8).tolist()}")


if __name__ == "__main__":
    main()
