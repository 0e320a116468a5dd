"""REINFORCE (after pytorch/examples' reinforcement_learning) on a tiny hand-written grid world.

The agent starts in the top-left corner of a 5x5 grid and must reach the goal (G) in the
bottom-right corner, avoiding walls (#) and a pit (X: -1 and the episode ends). Each step costs
0.01, the goal pays 1. The policy is a small MLP over a one-hot state; actions are sampled from
``torch.distributions.Categorical`` and the loss is -log_prob * normalised discounted return, minus
a small entropy bonus that keeps the policy exploring until it finds the goal.

    python examples/reinforce_gridworld.py                  # ember, well under a minute
    python examples/reinforce_gridworld.py --backend torch  # the same program under PyTorch
    python examples/reinforce_gridworld.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import random
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few episodes (CI)")
parser.add_argument("--episodes", type=int, default=300)
parser.add_argument("--gamma", type=float, default=0.99)
parser.add_argument("--entropy", type=float, default=0.05, help="entropy bonus weight")
parser.add_argument("--seed", type=int, default=543)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn
F = torch.nn.functional
Categorical = torch.distributions.Categorical

LAYOUT = [
    "S..#.",
    ".#...",
    ".#.X.",
    "...#.",
    "#...G",
]
ACTIONS = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # up, down, left, right
ARROWS = "^v<>"
H, W = len(LAYOUT), len(LAYOUT[0])


class GridWorld:
    """A minimal gym-style environment: reset() -> state, step(a) -> (state, reward, done)."""

    def __init__(self, max_steps=40):
        self.max_steps = max_steps

    def reset(self):
        self.pos, self.t = (0, 0), 0
        return self.pos[0] * W + self.pos[1]

    def step(self, action):
        dr, dc = ACTIONS[action]
        r, c = self.pos[0] + dr, self.pos[1] + dc
        if 0 <= r < H and 0 <= c < W and LAYOUT[r][c] != "#":
            self.pos = (r, c)
        self.t += 1
        cell = LAYOUT[self.pos[0]][self.pos[1]]
        if cell == "G":
            return self.pos[0] * W + self.pos[1], 1.0, True
        if cell == "X":
            return self.pos[0] * W + self.pos[1], -1.0, True
        return self.pos[0] * W + self.pos[1], -0.01, self.t >= self.max_steps


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(H * W, 64)
        self.affine2 = nn.Linear(64, len(ACTIONS))

    def forward(self, x):
        return self.affine2(F.relu(self.affine1(x)))


random.seed(args.seed)
torch.manual_seed(args.seed)
env, policy = GridWorld(), Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
eye = torch.eye(H * W)
eps = 1e-8


def run_episode():
    state, done = env.reset(), False
    log_probs, entropies, rewards = [], [], []
    while not done:
        m = Categorical(logits=policy(eye[state]))
        action = m.sample()
        log_probs.append(m.log_prob(action))
        entropies.append(m.entropy())
        state, reward, done = env.step(action.item())
        rewards.append(reward)
    return log_probs, entropies, rewards


def finish_episode(log_probs, entropies, rewards):
    R, returns = 0.0, []
    for r in reversed(rewards):
        R = r + args.gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    if len(returns) > 1:
        returns = (returns - returns.mean()) / (returns.std() + eps)
    # the entropy bonus keeps the policy exploring until it has found the goal
    loss = -(torch.stack(log_probs) * returns).sum() - args.entropy * torch.stack(entropies).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def greedy_path():
    state, done, steps, total = env.reset(), False, 0, 0.0
    with torch.no_grad():
        while not done:
            state, reward, done = env.step(policy(eye[state]).argmax().item())
            steps, total = steps + 1, total + reward
    return total, steps


episodes = 40 if args.quick else args.episodes
running = None
t0 = time.perf_counter()
first_window, last_window, window = [], [], []
for episode in range(1, episodes + 1):
    log_probs, entropies, rewards = run_episode()
    ret = sum(rewards)
    running = ret if running is None else 0.05 * ret + 0.95 * running
    window.append(ret)
    finish_episode(log_probs, entropies, rewards)
    if episode % (10 if args.quick else 50) == 0:
        print(f"episode {episode:4d}: last return {ret:6.2f}, running return {running:6.2f}, length {len(rewards)}")
        if not first_window:
            first_window = window
        last_window, window = window, []
mean = lambda xs: sum(xs) / max(1, len(xs))
print(
    f"mean return {mean(first_window):.3f} (first episodes) -> {mean(last_window):.3f} (last episodes), "
    f"{episodes} episodes in {time.perf_counter() - t0:.1f}s"
)

with torch.no_grad():
    best = policy(eye).argmax(1).tolist()
print("greedy policy:")
for r in range(H):
    print("  " + " ".join(LAYOUT[r][c] if LAYOUT[r][c] in "#GX" else ARROWS[best[r * W + c]] for c in range(W)))
total, steps = greedy_path()
reached = total > 0
print(
    f"greedy episode: return {total:.2f} in {steps} steps ({'reaches the goal' if reached else 'does not reach the goal'})"
)
if not args.quick and not reached:
    raise SystemExit("FAILED: the greedy policy does not reach the goal")
