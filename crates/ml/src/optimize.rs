//! Smooth convex objectives minimized with L-BFGS (OWL-QN when there is an L1 term), the
//! optimizers Spark uses for its linear models.

use std::sync::{Arc, Mutex};

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{CostFunction, Error, Executor, Gradient, State, KV};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use crate::error::{MlError, MlResult};

/// An objective: its value and gradient at a point.
pub trait Objective: Sync {
    fn evaluate(&self, point: &[f64]) -> (f64, Vec<f64>);
}

/// A point with the objective's value and gradient there.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// The objective as argmin sees it. Its line search asks for the value and then the gradient
/// at the same point; both come from one pass over the data, kept for the second request.
struct Problem<'a, O: Objective> {
    objective: &'a O,
    last: Mutex<Option<Evaluated>>,
}

impl<'a, O: Objective> Problem<'a, O> {
    fn new(objective: &'a O) -> Self {
        Problem {
            objective,
            last: Mutex::new(None),
        }
    }

    fn evaluate(&self, point: &[f64]) -> (f64, Vec<f64>) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, value, gradient)) = last.as_ref() {
            if at.as_slice() == point {
                return (*value, gradient.clone());
            }
        }
        let (value, gradient) = self.objective.evaluate(point);
        *last = Some((point.to_vec(), value, gradient.clone()));
        (value, gradient)
    }
}

impl<O: Objective> CostFunction for Problem<'_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, param: &Self::Param) -> Result<Self::Output, Error> {
        Ok(self.evaluate(param).0)
    }
}

impl<O: Objective> Gradient for Problem<'_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, param: &Self::Param) -> Result<Self::Gradient, Error> {
        Ok(self.evaluate(param).1)
    }
}

/// Records the objective after every iteration (a model summary's `objectiveHistory`).
#[derive(Clone, Default)]
struct CostHistory(Arc<Mutex<Vec<f64>>>);

impl<I: State<Float = f64>> Observe<I> for CostHistory {
    fn observe_iter(&mut self, state: &I, _kv: &KV) -> Result<(), Error> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(state.get_cost());
        Ok(())
    }
}

/// The minimum found, the number of iterations and the objective before each iteration and
/// at the end.
pub struct Minimum {
    pub point: Vec<f64>,
    pub iterations: u64,
    pub history: Vec<f64>,
}

/// Minimizes `objective` from `start`; `l1` adds `l1 * Σ|x_i|` over every coordinate.
pub fn minimize<O: Objective>(
    objective: &O,
    start: Vec<f64>,
    max_iter: u64,
    tol: f64,
    l1: f64,
) -> MlResult<Minimum> {
    let initial = objective.evaluate(&start).0;
    if max_iter == 0 {
        return Ok(Minimum {
            point: start,
            iterations: 0,
            history: vec![initial],
        });
    }
    let linesearch = MoreThuenteLineSearch::new();
    // Tighter than Spark's own tolerance so results agree with its converged answer.
    let cost_tol = (tol * 1e-6).max(f64::EPSILON);
    let mut solver = LBFGS::new(linesearch, 10)
        .with_tolerance_grad(1e-10)
        .and_then(|s| s.with_tolerance_cost(cost_tol))
        .map_err(optimizer_error)?;
    if l1 > 0.0 {
        solver = solver.with_l1_regularization(l1).map_err(optimizer_error)?;
    }
    let history = CostHistory::default();
    let result = Executor::new(Problem::new(objective), solver)
        .configure(|state| state.param(start.clone()).max_iters(max_iter))
        .add_observer(history.clone(), ObserverMode::Always)
        .run();
    let result = match result {
        Ok(result) => result,
        // A line search that cannot improve means the start is already optimal.
        Err(_) => {
            return Ok(Minimum {
                point: start,
                iterations: 0,
                history: vec![initial],
            })
        }
    };
    let state = result.state();
    let point = state
        .get_best_param()
        .cloned()
        .unwrap_or_else(|| start.clone());
    let mut costs = vec![initial];
    costs.extend(history.0.lock().unwrap_or_else(|e| e.into_inner()).iter());
    Ok(Minimum {
        point,
        iterations: state.get_iter(),
        history: costs,
    })
}

fn optimizer_error(error: Error) -> MlError {
    MlError::IllegalArgument(format!("optimizer setup failed: {error}"))
}

/// Runs `f` over `rows` split into one chunk per core and sums the (value, gradient) parts.
pub fn parallel_sum(
    rows: usize,
    dims: usize,
    f: impl Fn(std::ops::Range<usize>) -> (f64, Vec<f64>) + Sync,
) -> (f64, Vec<f64>) {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(rows.div_ceil(10_000).max(1));
    if workers <= 1 {
        return f(0..rows);
    }
    let chunk = rows.div_ceil(workers);
    let parts: Vec<(f64, Vec<f64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let f = &f;
                scope.spawn(move || f(w * chunk..((w + 1) * chunk).min(rows)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((f64::NAN, vec![f64::NAN; dims])))
            .collect()
    });
    let mut total = 0.0;
    let mut gradient = vec![0.0; dims];
    for (value, part) in parts {
        total += value;
        for (g, p) in gradient.iter_mut().zip(part) {
            *g += p;
        }
    }
    (total, gradient)
}
