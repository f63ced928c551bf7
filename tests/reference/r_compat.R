# Regenerates tests/data/rnaseq/r_compat.json: what R computes for the pieces of R that
# DESeq2 1.38 relies on and resistlab.rnaseq._rcompat reproduces (random numbers, hist,
# loess, lowess, p.adjust, genefilter's filtered_p, quantile, mean, median, mad, and the
# Monte-Carlo dispersion prior variance of estimateDispersionsPriorVar).
#
#   Rscript tests/reference/r_compat.R [output.json]
#
# Needs R (>= 4.0; run with 4.2.2) with genefilter (Debian: r-bioc-genefilter).
# Inputs are dyadic rationals (k / 2^j) where they are stored, so that their decimal
# form in the JSON is exact; every computed number is written with 17 significant
# digits, so Python reads back R's doubles exactly.
suppressPackageStartupMessages(library(genefilter))
args <- commandArgs(trailingOnly = TRUE)
out_path <- if (length(args) > 0) args[1] else "tests/data/rnaseq/r_compat.json"
RNGkind("Mersenne-Twister", "Inversion", "Rejection")

dy <- function(v, k = 256) round(v * k) / k

# ---- a small JSON writer: numbers with 17 significant digits, NA/NaN as null ----------
num <- function(v) {
  s <- ifelse(is.na(v), "null", sprintf("%.17g", v))
  s[!is.na(v) & is.infinite(v)] <- NA
  if (anyNA(s)) stop("infinite values cannot be written")
  s
}
to_json <- function(obj) {
  if (is.list(obj)) {
    if (!is.null(names(obj))) {
      items <- vapply(names(obj), function(n) paste0('"', n, '":', to_json(obj[[n]])), "")
      return(paste0("{", paste(items, collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(obj, to_json, ""), collapse = ","), "]"))
  }
  if (is.character(obj)) {
    s <- paste0('"', obj, '"')
  } else if (is.logical(obj)) {
    s <- ifelse(obj, "true", "false")
  } else if (is.integer(obj)) {
    s <- ifelse(is.na(obj), "null", as.character(obj))
  } else {
    s <- num(obj)
  }
  if (inherits(obj, "AsIs") || length(obj) != 1) paste0("[", paste(s, collapse = ","), "]") else s
}
first_sum <- function(v, k = 20) list(first = v[seq_len(k)], sum = sum(v), n = length(v))

out <- list(meta = list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  genefilter = as.character(packageVersion("genefilter")),
  script = "tests/reference/r_compat.R"
))

# ---- 1. random numbers ----------------------------------------------------------------
rng <- list()
states <- list()
for (s in c(2, 0, 1, 123, -7, 2147483647)) {
  set.seed(s)
  # .Random.seed[2] is the position (624 after seeding), then the 624 state words
  states[[as.character(s)]] <- list(seed = s, position = .Random.seed[2],
                                    words = .Random.seed[3:8], last = .Random.seed[626])
}
rng$states <- unname(states)
set.seed(2); rng$runif <- first_sum(runif(10000))
set.seed(2); rng$runif_ab <- runif(5, -3, 4)
set.seed(2); rng$rnorm <- first_sum(rnorm(10000))
set.seed(2); rng$rnorm_ms <- rnorm(5, 10, 3)
set.seed(2); rng$rexp <- first_sum(rexp(10000))
set.seed(2); rng$rexp_rate <- rexp(5, 3)
rng$rchisq <- lapply(c(1, 2, 3, 4.5), function(df) {
  set.seed(2); c(list(df = df), first_sum(rchisq(10000, df)))
})
rng$rgamma <- lapply(c(0.3, 0.999, 1, 2.5, 3.686, 5, 13.5, 40), function(shape) {
  set.seed(5); c(list(shape = shape, scale = 1.5, seed = 5), first_sum(rgamma(10000, shape, scale = 1.5), 10))
})
# sd = 0: rnorm returns the mean and draws nothing
set.seed(1)
a <- rnorm(2); b <- rnorm(3, 5, 0); d <- runif(2)
rng$sd_zero <- list(seed = 1, first = a, middle = b, after = d)
# one stream shared by rchisq and rnorm, exactly as estimateDispersionsPriorVar draws it
grid <- seq(from = 0, to = 8, length = 200)
rng$deseq2_stream <- lapply(1:3, function(df) {
  set.seed(2)
  sums <- numeric(length(grid))
  heads <- list()
  for (k in seq_along(grid)) {
    v <- log(rchisq(10000, df = df)) + rnorm(10000, 0, sqrt(grid[k])) - log(df)
    sums[k] <- sum(v)
    if (k %in% c(1, 2, 100, 200)) heads[[length(heads) + 1]] <- list(k = k - 1L, first = v[1:5])
  }
  list(df = df, seed = 2, sums = sums, heads = heads, runif_after = runif(3))
})
out$rng <- rng

# ---- 2. seq, quantile, mean, median, mad -----------------------------------------------
g1000 <- seq(from = 0, to = 8, length = 1000)
out$seq <- list(
  grid200 = grid,
  grid1000_idx = 0:99 * 10L + 9L, grid1000 = g1000[0:99 * 10 + 10],
  other = list(from = -2.5, to = 3.5, n = 301L, idx = 0:30 * 10L,
               values = seq(-2.5, 3.5, length = 301)[0:30 * 10 + 1])
)
set.seed(8)
xq <- dy(rnorm(37))
xq_ties <- c(rep(0, 12), dy(rexp(25), 16))
probs <- c(0, 0.1, 0.25, 0.5, 0.9, 0.95, 1, seq(0.3, 0.95, length = 50))
out$quantile <- list(
  list(x = xq, probs = probs, q = unname(quantile(xq, probs))),
  list(x = xq_ties, probs = probs, q = unname(quantile(xq_ties, probs)))
)
xm <- dy(rnorm(101, 3, 2), 1024)
out$mean <- list(
  list(x = c(1e16, 1, -1e16), trim = 0, mean = mean(c(1e16, 1, -1e16))),
  list(x = c(0.1, 0.2, 0.3), trim = 0, mean = mean(c(0.1, 0.2, 0.3))),
  list(x = xm, trim = 0, mean = mean(xm)),
  list(x = xm, trim = 0.1, mean = mean(xm, trim = 0.1)),
  list(x = xm, trim = 0.2, mean = mean(xm, trim = 0.2)),
  list(x = xm[1:40], trim = 0.25, mean = mean(xm[1:40], trim = 0.25)),
  list(x = xm[1:40], trim = 0.5, mean = mean(xm[1:40], trim = 0.5))
)
out$median <- list(
  list(x = xm, median = median(xm)),
  list(x = xm[1:40], median = median(xm[1:40])),
  list(x = c(0.1, 0.7), median = median(c(0.1, 0.7)))
)
out$mad <- list(
  list(x = xm, mad = mad(xm)),
  list(x = xm[1:40], mad = mad(xm[1:40])),
  list(x = c(xm[1:20], NA), na_rm = TRUE, mad = mad(c(xm[1:20], NA), na.rm = TRUE))
)

# ---- 3. hist(..., plot = FALSE)$density --------------------------------------------------
brks <- -20:20 / 2
set.seed(3)
h1 <- dy(rnorm(300, 0, 3), 64); h1 <- h1[h1 > -10 & h1 < 10]
h2 <- c(-10, -9.5, 0, 0.5, 10, 10 - 2^-30, -10 + 2^-30, 0.5 + 2^-25, 0.5 + 2^-23, 3 - 2^-25)
h3 <- dy(runif(50) * 4)
h4 <- dy(runif(60) * 4)
out$hist <- list(
  list(x = h1, breaks = brks, density = hist(h1, brks, plot = FALSE)$density),
  list(x = h2, breaks = brks, density = hist(h2, brks, plot = FALSE)$density),
  list(x = h3, breaks = c(0, 2, 4), density = hist(h3, c(0, 2, 4), plot = FALSE)$density),
  list(x = h4, breaks = c(0, 0.5, 1.5, 3, 4), density = hist(h4, c(0, 0.5, 1.5, 3, 4), plot = FALSE)$density)
)

# ---- 4. loess ---------------------------------------------------------------------------
loess_case <- function(name, x, y, span, degree, newx, surface = "interpolate", store_x = TRUE,
                       x_seq = NULL, newx_seq = NULL, every = 1L) {
  fit <- loess(y ~ x, span = span, degree = degree, surface = surface)
  p <- predict(fit, newx)
  idx <- seq(1L, length(newx), by = every)
  res <- list(name = name, span = span, degree = degree, surface = surface)
  if (store_x) res$x <- x
  if (!is.null(x_seq)) res$x_seq <- x_seq
  res$y <- y
  res$newx_seq <- newx_seq
  res$idx <- idx - 1L
  res$fit <- p[idx]
  res$argmin <- which.min(p) - 1L
  res$min <- min(p, na.rm = TRUE)
  res$n_vertices <- if (surface == "interpolate") fit$kd$parameter[["nv"]] else NA_integer_
  res
}
set.seed(5)
lo <- list()
x <- grid
y <- dy(0.05 * (x - 2.5)^2 + rnorm(200, 0, 0.05), 4096)
lo[[1]] <- loess_case("kl_like", x, y, 0.2, 2, g1000, store_x = FALSE,
                      x_seq = list(0, 8, 200L), newx_seq = list(0, 8, 1000L), every = 13L)
lo[[2]] <- loess_case("kl_like_direct", x, y, 0.2, 2, g1000, surface = "direct", store_x = FALSE,
                      x_seq = list(0, 8, 200L), newx_seq = list(0, 8, 1000L), every = 13L)
x <- dy(runif(50, -2, 3))
lo[[3]] <- loess_case("unsorted_default_span", x, dy(sin(2 * x) + rnorm(50, 0, 0.2)), 0.75, 2,
                      seq(-2.5, 3.5, length = 301), newx_seq = list(-2.5, 3.5, 301L), every = 5L)
x <- round(runif(120, 0, 10))
lo[[4]] <- loess_case("ties_degree1", x, dy(x / 3 + rnorm(120)), 0.3, 1,
                      seq(0, 10, length = 301), newx_seq = list(0, 10, 301L), every = 5L)
x <- dy(runif(80, 0, 5))
lo[[5]] <- loess_case("degree0", x, dy(cos(x) + rnorm(80, 0, 0.3)), 0.5, 0,
                      seq(0, 5, length = 301), newx_seq = list(0, 5, 301L), every = 5L)
x <- dy(runif(100))
lo[[6]] <- loess_case("span_times_n_below_integer", x, dy(rnorm(100)), 0.29, 2,
                      seq(0, 1, length = 301), newx_seq = list(0, 1, 301L), every = 5L)
x <- dy(runif(40, 0, 4))
lo[[7]] <- loess_case("span_above_one", x, dy(x^2 / 4 + rnorm(40)), 1.5, 2,
                      seq(0, 4, length = 301), newx_seq = list(0, 4, 301L), every = 5L)
x <- grid
lo[[8]] <- loess_case("small_span_tree_limit", x, dy(sin(x) + rnorm(200, 0, 0.3)), 0.05, 2, g1000,
                      store_x = FALSE, x_seq = list(0, 8, 200L), newx_seq = list(0, 8, 1000L),
                      every = 13L)
x <- c(0.25, 0.5, 0.875, 1.25, 1.75, 2, 2.25, 2.5, 2.875, 3)
lo[[9]] <- loess_case("n10", x, dy(x + rnorm(10)), 0.75, 2,
                      seq(0, 3, length = 301), newx_seq = list(0, 3, 301L), every = 5L)
x <- dy(runif(300, 0, 3))
lo[[10]] <- loess_case("direct_extrapolates", x, dy(x + rnorm(300)), 0.4, 2,
                       seq(-0.5, 3.5, length = 301), surface = "direct",
                       newx_seq = list(-0.5, 3.5, 301L), every = 5L)
x <- c(rep(1, 12), dy(runif(48, 1, 2)))
lo[[11]] <- loess_case("tied_block", x, dy(rnorm(60)), 0.5, 2,
                       seq(1, 2, length = 301), newx_seq = list(1, 2, 301L), every = 5L)
x <- 1:50
lo[[12]] <- loess_case("cell_size_rounding", x, dy(rnorm(50)), 0.7, 2,
                       seq(1, 50, length = 301), newx_seq = list(1, 50, 301L), every = 5L)
out$loess <- lo

# ---- 5. lowess --------------------------------------------------------------------------
lw <- list()
set.seed(6)
x <- dy(runif(100, 0, 10))
y <- dy(sin(x) + rnorm(100, 0, 0.3)); y[c(5, 50, 77)] <- y[c(5, 50, 77)] + 4
lw[[1]] <- list(name = "outliers_default", x = x, y = y, f = 2 / 3, iter = 3L,
                fit = lowess(x, y)$y)
x <- round(runif(60, 0, 5))
y <- dy(x^2 + rnorm(60))
lw[[2]] <- list(name = "ties_f03", x = x, y = y, f = 0.3, iter = 3L, fit = lowess(x, y, f = 0.3)$y)
lw[[3]] <- list(name = "iter0_delta0", x = x, y = y, f = 0.5, iter = 0L, delta = 0,
                fit = lowess(x, y, f = 0.5, iter = 0, delta = 0)$y)
x <- dy(runif(30, 0, 3))
lw[[4]] <- list(name = "constant_y", x = x, y = rep(2, 30), f = 0.4, iter = 3L,
                fit = lowess(x, rep(2, 30), f = 0.4)$y)
x <- dy(runif(120, 0, 10))
y <- dy(x + rnorm(120))
lw[[5]] <- list(name = "delta_large", x = x, y = y, f = 0.25, iter = 2L, delta = 0.5,
                fit = lowess(x, y, f = 0.25, iter = 2, delta = 0.5)$y)
out$lowess <- lw

# ---- 6. p.adjust BH and DESeq2's independent filtering ---------------------------------
set.seed(9)
pr <- dy(runif(200), 2^20)
out$p_adjust <- list(
  list(p = c(0.01, 0.04, NA, 0.03, 0.04, 0.5, 1, 0, NA, 0.2),
       padj = p.adjust(c(0.01, 0.04, NA, 0.03, 0.04, 0.5, 1, 0, NA, 0.2), "BH")),
  list(p = c(NA, 0.3, NA), padj = p.adjust(c(NA, 0.3, NA), "BH")),
  list(p = c(0.3, 0.02), padj = p.adjust(c(0.3, 0.02), "BH")),
  list(p = pr, padj = p.adjust(pr, "BH"))
)
# pvalueAdjustment of DESeq2 1.38 (independentFiltering = TRUE, alpha = 0.1, BH)
set.seed(10)
ng <- 1000
filt <- dy(exp(rnorm(ng, 3, 2)), 16)
filt[1:120] <- 0
pv <- dy(runif(ng), 2^20)
sig <- sample(order(filt, decreasing = TRUE)[1:400], 200)
pv[sig] <- dy(rbeta(200, 0.15, 1) * 0.2, 2^24)
pv[1:120] <- NA
pv[sample(121:ng, 20)] <- NA
lowerQuantile <- mean(filt == 0)
upperQuantile <- if (lowerQuantile < 0.95) 0.95 else 1
theta <- seq(lowerQuantile, upperQuantile, length = 50)
filtPadj <- filtered_p(filter = filt, test = pv, theta = theta, method = "BH")
numRej <- colSums(filtPadj < 0.1, na.rm = TRUE)
lo.fit <- lowess(numRej ~ theta, f = 1 / 5)
residual <- if (all(numRej == 0)) 0 else numRej[numRej > 0] - lo.fit$y[numRej > 0]
thresh <- max(lo.fit$y) - sqrt(mean(residual^2))
j <- if (any(numRej > thresh)) which(numRej > thresh)[1] else 1
padj <- filtPadj[, j, drop = TRUE]
out$independent_filtering <- list(
  filter_k16 = as.integer(filt * 16), pvalue = pv, alpha = 0.1,
  theta = theta, cutoffs = unname(quantile(filt, theta)),
  column_sums = unname(colSums(filtPadj, na.rm = TRUE)),
  column_na = unname(colSums(is.na(filtPadj))),
  num_rej = unname(numRej), lowess_fit = lo.fit$y, j = j - 1L,
  padj_first = padj[1:200], padj_sum = sum(padj, na.rm = TRUE)
)

# ---- 7. DESeq2's Monte-Carlo prior variance (residual df 1-3) --------------------------
# The block of DESeq2 1.38.3 estimateDispersionsPriorVar for ((m - p) <= 3) & (m > p),
# with dispResiduals[aboveMinDisp] passed in as `obsDist` and m - p as `df`.
prior_var <- function(obsDist, df) {
  set.seed(2)
  brks <- -20:20 / 2
  obsDist <- obsDist[obsDist > min(brks) & obsDist < max(brks)]
  obsVarGrid <- seq(from = 0, to = 8, length = 200)
  obsDistHist <- hist(obsDist, breaks = brks, plot = FALSE)
  klDivs <- sapply(obsVarGrid, function(x) {
    randDist <- log(rchisq(10000, df = df)) + rnorm(10000, 0, sqrt(x)) - log(df)
    randDist <- randDist[randDist > min(brks) & randDist < max(brks)]
    randDistHist <- hist(randDist, breaks = brks, plot = FALSE)
    z <- c(obsDistHist$density, randDistHist$density)
    small <- min(z[z > 0])
    kl <- sum(obsDistHist$density * (log(obsDistHist$density + small) -
                                       log(randDistHist$density + small)))
    kl
  })
  lofit <- loess(klDivs ~ obsVarGrid, span = 0.2)
  obsVarFineGrid <- seq(from = 0, to = 8, length = 1000)
  lofitFitted <- predict(lofit, obsVarFineGrid)
  argminKL <- obsVarFineGrid[which.min(lofitFitted)]
  dispPriorVar <- pmax(argminKL, 0.25)
  list(kl = klDivs, fitted = lofitFitted, argmin = which.min(lofitFitted) - 1L,
       dispPriorVar = dispPriorVar)
}
# residuals as DESeq2 sees them: log(chi^2_df / df) sampling noise plus log-normal spread
# (drawn for the residual df the case is run with), and a few edge cases run with df 1-3
set.seed(12)
res_cases <- list()
for (df in 1:3) {
  for (s in c(0.3, 0.7, 1.2)) {
    res_cases[[length(res_cases) + 1]] <- list(
      name = sprintf("chisq%d_sd%.1f", df, s), dfs = df,
      r = log(rchisq(600, df) / df) + rnorm(600, 0, s))
  }
}
res_cases[[length(res_cases) + 1]] <- list(name = "t3", dfs = 1:3, r = rt(600, 3) * 1.5)
res_cases[[length(res_cases) + 1]] <- list(name = "small_n", dfs = 1:3, r = rnorm(30, 0, 2))
res_cases[[length(res_cases) + 1]] <- list(
  name = "wide", dfs = 1:3,
  r = c(rnorm(590, 0, 2), -12, 11, 9.99, -9.99, 15, 0, 0, 0, 0, 0))
pv_cases <- list()
for (case in res_cases) {
  k64 <- as.integer(round(case$r * 64))
  results <- lapply(case$dfs, function(df) {
    r <- prior_var(k64 / 64, df)
    res <- list(df = df, dispPriorVar = r$dispPriorVar, argmin = r$argmin,
                fitted_min = min(r$fitted))
    if (grepl("_sd0.7$", case$name)) {
      res$kl <- r$kl
      res$fitted_idx <- 0:99 * 10L + 9L
      res$fitted <- r$fitted[0:99 * 10 + 10]
    }
    res
  })
  pv_cases[[length(pv_cases) + 1]] <- list(name = case$name, residuals_k64 = k64,
                                           results = results)
}
out$prior_var <- pv_cases

dir.create(dirname(out_path), showWarnings = FALSE, recursive = TRUE)
writeLines(to_json(out), out_path)
