// The MLP GAN's trainer: the adversarial trainer (adversarial_trainer.hpp) over models/gan.hpp.
#pragma once

#include "train/adversarial_trainer.hpp"

namespace latentlab::native {

class GanTrainer : public AdversarialTrainer<Gan> {
 public:
  using AdversarialTrainer<Gan>::AdversarialTrainer;
  Gan& gan() { return network(); }
};

}  // namespace latentlab::native
