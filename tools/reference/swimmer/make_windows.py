"""Reference windows for the native swimmer (crates/swimmer/tests/data/windows.json).

Loads dm_control's swimmer XML (`swimmer.get_model_and_assets(n)`) in MuJoCo 3.17 and records:
  * model facts (masses, inertias, joint ranges, armature, dof_invweight0) per n_bodies;
  * windows: states visited by a travelling-sine swimming gait (joint limits active), then
    1-3 control steps (15 substeps each) of uniform random controls, qpos/qvel after each;
  * density/viscosity/timestep variants;
  * per-stage force terms (qM, qfrc_bias, qfrc_passive, qfrc_actuator, efc rows,
    qfrc_constraint, qacc) for a few states, to debug stage by stage;
  * observations and the NCAP swim reward from the dm_control environment;
  * the ncap.md section 2.4 check case.

Run: python make_windows.py > ../../../crates/swimmer/tests/data/windows.json
"""

import json
import sys

import mujoco
import numpy as np
from dm_control.suite import swimmer
from dm_control.utils import rewards

SUBSTEPS = 15


def load(n_bodies, density=None, viscosity=None, timestep=None):
    xml, assets = swimmer.get_model_and_assets(n_bodies)
    model = mujoco.MjModel.from_xml_string(xml, assets)
    if density is not None:
        model.opt.density = density
    if viscosity is not None:
        model.opt.viscosity = viscosity
    if timestep is not None:
        model.opt.timestep = timestep
    return model, mujoco.MjData(model)


def fl(a):
    return [float(x) for x in np.asarray(a).ravel()]


def dm_reset(model, data, rng):
    """dm_control reset: heading ~ U(-pi, pi), hinges ~ U(range), zero velocity."""
    mujoco.mj_resetData(model, data)
    data.qpos[2] = rng.uniform(-np.pi, np.pi)
    for j in range(3, model.njnt):
        lo, hi = model.jnt_range[j]
        data.qpos[j] = rng.uniform(lo, hi)
    mujoco.mj_forward(model, data)


def control_step(model, data, ctrl, substeps=SUBSTEPS):
    """One control step with dm_control's legacy stepping (mj_step2, mj_step, mj_step1)."""
    data.ctrl[:] = ctrl
    mujoco.mj_step2(model, data)
    if substeps > 1:
        mujoco.mj_step(model, data, substeps - 1)
    mujoco.mj_step1(model, data)


def gait_ctrl(k, n_act, phase0, freq, dt=0.03):
    t = k * dt
    return np.array([np.sin(2 * np.pi * freq * t - 2 * np.pi * j / n_act + phase0)
                     for j in range(n_act)])


def gait_states(model, data, rng, n_states, warmup=40, every=7):
    """States a travelling-sine gait visits, after a dm_control-style reset."""
    dm_reset(model, data, rng)
    phase0, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 1.5)
    states, k = [], 0
    while len(states) < n_states:
        control_step(model, data, gait_ctrl(k, model.nu, phase0, freq))
        k += 1
        if k >= warmup and k % every == 0:
            states.append((data.qpos.copy(), data.qvel.copy(), data.qacc_warmstart.copy()))
    return states


def window(model, data, state, rng, n_ctrl, substeps=SUBSTEPS):
    qpos, qvel, warm = state
    mujoco.mj_resetData(model, data)
    data.qpos[:] = qpos
    data.qvel[:] = qvel
    data.qacc_warmstart[:] = warm
    mujoco.mj_forward(model, data)
    ctrl = rng.uniform(-1, 1, size=(n_ctrl, model.nu))
    qpos_after, qvel_after, nefc = [], [], 0
    for c in ctrl:
        data.ctrl[:] = c
        for _ in range(substeps):
            mujoco.mj_step(model, data)
            nefc += data.nefc
        qpos_after.append(fl(data.qpos))
        qvel_after.append(fl(data.qvel))
    return dict(qpos=fl(qpos), qvel=fl(qvel), ctrl=[fl(c) for c in ctrl],
                qpos_after=qpos_after, qvel_after=qvel_after,
                limit_rows=int(nefc))


def model_facts(model):
    return dict(
        n_bodies=int(model.nbody - 1),
        body_mass=fl(model.body_mass[1:]),
        body_inertia=fl(model.body_inertia[1:]),
        body_pos=fl(model.body_pos[1:]),
        body_ipos=fl(model.body_ipos[1:]),
        jnt_pos=fl(model.jnt_pos),
        jnt_range=fl(model.jnt_range[3:]),
        dof_armature=fl(model.dof_armature),
        dof_invweight0=fl(model.dof_invweight0),
        actuator_gear=fl(model.actuator_gear[:, 0]),
        jnt_solref=fl(model.jnt_solref[3]),
        jnt_solimp=fl(model.jnt_solimp[3]),
    )


def pick_force_states(model, data, states):
    """Two states with active joint limits (if any) and one without."""
    def force(s):
        data.qpos[:], data.qvel[:] = s[0], s[1]
        mujoco.mj_forward(model, data)
        return np.abs(data.efc_force).sum() if data.nefc else 0.0
    active = [s for s in states if force(s) > 0]
    free = [s for s in states if force(s) == 0]
    return (active[:2] + free[:1] + states)[:3]


def force_terms(model, data, state, rng):
    qpos, qvel, _ = state
    mujoco.mj_resetData(model, data)
    data.qpos[:] = qpos
    data.qvel[:] = qvel
    data.ctrl[:] = rng.uniform(-1, 1, size=model.nu)
    mujoco.mj_forward(model, data)
    qm = np.zeros((model.nv, model.nv))
    mujoco.mj_fullM(model, data, qm)
    return dict(qpos=fl(qpos), qvel=fl(qvel), ctrl=fl(data.ctrl),
                qM=fl(qm), qfrc_bias=fl(data.qfrc_bias), qfrc_passive=fl(data.qfrc_passive),
                qfrc_actuator=fl(data.qfrc_actuator),
                efc_pos=fl(data.efc_pos), efc_id=[int(i) for i in data.efc_id], efc_R=fl(data.efc_R),
                efc_aref=fl(data.efc_aref), efc_force=fl(data.efc_force),
                qfrc_constraint=fl(data.qfrc_constraint), qacc=fl(data.qacc),
                xpos=fl(data.xpos[1:, :2]), xipos=fl(data.xipos[1:, :2]),
                sensordata=fl(data.sensordata))


def observations(n_bodies, rng):
    """dm_control environment observations and the NCAP swim reward, after reset and steps."""
    env = swimmer.swimmer(n_links=n_bodies, random=int(rng.integers(1 << 30)))
    ts = env.reset()
    phys = env.physics
    out = []
    for k in range(6):
        if k > 0:
            ts = env.step(rng.uniform(-1, 1, size=n_bodies - 1))
        head_vel = phys.named.data.sensordata['head_vel'].copy()
        reward = rewards.tolerance(-head_vel[1], bounds=(0.1, float('inf')), margin=0.1,
                                   sigmoid='linear', value_at_margin=0)
        out.append(dict(qpos=fl(phys.data.qpos), qvel=fl(phys.data.qvel),
                        joints=fl(ts.observation['joints']),
                        body_velocities=fl(ts.observation['body_velocities']),
                        swim_reward=float(reward)))
    return out


def main():
    rng = np.random.default_rng(20240601)
    out = dict(versions=dict(mujoco=mujoco.__version__, numpy=np.__version__),
               models=[], windows=[], variants=[], force_terms=[], observations=[])

    # model facts, gait windows, force terms
    for n in [3, 4, 5, 6, 7, 9, 12, 16, 20]:
        model, data = load(n)
        out['models'].append(model_facts(model))
        states = gait_states(model, data, rng, 6)
        for s in states:
            w = window(model, data, s, rng, 3)
            w['n_bodies'] = n
            out['windows'].append(w)
        if n in (3, 6, 12):
            for s in pick_force_states(model, data, gait_states(model, data, rng, 30, every=2)):
                f = force_terms(model, data, s, rng)
                f['n_bodies'] = n
                out['force_terms'].append(f)

    # density / viscosity / timestep variants
    variants = [dict(n=6, density=3000.0, viscosity=0.5), dict(n=6, density=1000.0, viscosity=2.0),
                dict(n=9, density=0.0, viscosity=1.0), dict(n=4, density=5000.0, viscosity=0.0),
                dict(n=6, density=3000.0, viscosity=0.0, timestep=0.001, substeps=30)]
    for v in variants:
        model, data = load(v['n'], v['density'], v['viscosity'], v.get('timestep'))
        sub = v.get('substeps', SUBSTEPS)
        states = gait_states(model, data, rng, 3)
        for s in states:
            w = window(model, data, s, rng, 2, substeps=sub)
            w.update(n_bodies=v['n'], density=v['density'], viscosity=v['viscosity'],
                     timestep=float(model.opt.timestep), substeps=sub)
            out['variants'].append(w)
        f = force_terms(model, data, states[0], rng)
        f.update(n_bodies=v['n'], density=v['density'], viscosity=v['viscosity'])
        out['force_terms'].append(f)

    # observations and reward from the dm_control environment
    for n in (3, 6, 10):
        out['observations'].append(dict(n_bodies=n, steps=observations(n, rng)))

    # ncap.md section 2.4: qpos0, ctrl = +1, 15 substeps
    model, data = load(6)
    mujoco.mj_resetData(model, data)
    data.ctrl[:] = 1.0
    mujoco.mj_step(model, data, SUBSTEPS)
    out['check_2_4'] = dict(n_bodies=6, qpos=fl(data.qpos), qvel=fl(data.qvel))

    json.dump(out, sys.stdout, separators=(',', ':'))


if __name__ == '__main__':
    main()
