# Fits a simulated study of bench/analysis_mixed.py with lme4 and prints a reference JSON
# (stored beside this script as lmm_<size>_lme4.json). Run by hand once per size:
#   .venv/bin/python bench/analysis_mixed.py --sizes 20000 --write-csv /tmp/lmm_20k.csv
#   Rscript bench/reference/lmm_lme4.R /tmp/lmm_20k.csv <sha256 printed above>
# R is never a dependency of the project.
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = c("numeric", "factor", "factor", "factor"))
call <- "lmer(score ~ 0 + group + (1 | participant) + (1 | sample), data = d, REML = TRUE)"
seconds <- system.time(fit <- eval(parse(text = call)))[["elapsed"]]
vc <- as.data.frame(VarCorr(fit))
fe <- fixef(fit)
se <- sqrt(diag(as.matrix(vcov(fit))))
num <- function(x) formatC(x, digits = 12, format = "g")
means <- paste0(
  sprintf('"%s": {"estimate": %s, "se": %s}', sub("^group", "", names(fe)), num(fe), num(se)),
  collapse = ", "
)
cat(sprintf(paste0(
  '{\n  "source": {"what": "bench/analysis_mixed.py simulate(%d), fitted with lme4",',
  ' "R": "%s", "lme4": "%s", "call": "%s", "seconds": %s, "optimizer_converged": %s},\n',
  '  "data": {"n": %d, "sha256": "%s"},\n',
  '  "expected": {"means": {%s},\n',
  '    "variance": {"participant": %s, "sample": %s, "residual": %s},\n',
  '    "reml_criterion": %s}\n}\n'),
  nrow(d), R.version.string, as.character(packageVersion("lme4")), call, trimws(num(seconds)),
  tolower(as.character(is.null(fit@optinfo$conv$lme4$messages))),
  nrow(d), args[2], means,
  num(vc$vcov[vc$grp == "participant"]), num(vc$vcov[vc$grp == "sample"]),
  num(vc$vcov[vc$grp == "Residual"]), num(REMLcrit(fit))
))
